"""The `halab` command: the lab's commands and the chaos controller's, assembled in one group.

It sits above both packages so that neither imports the other's command line: `lab` knows nothing
of `chaos`, and `chaos` uses `lab` only as a library. Each command's module is imported when that
command runs (click's lazy subcommands), so `halab --version`, `halab home` and `halab service
check` work with the library's own dependencies alone, and the operator's tools (`halab[tools]`)
are needed only by the commands that drive the lab.
"""

from __future__ import annotations

import importlib

import click

import halab

# name -> "module:attribute", in the order `halab --help` lists them.
COMMANDS = {
    "status": "halab.lab.cli:status",
    "settle": "halab.lab.cli:settle",
    "profile": "halab.lab.cli:profile",
    "footprint": "halab.lab.cli:footprint",
    "service": "halab.lab.cli:service",
    "home": "halab.lab.cli:home_command",
    "chaos": "halab.chaos.cli:chaos",
    "bench": "halab.chaos.cli:bench",
    "sweep": "halab.chaos.cli:sweep",
    "heal": "halab.chaos.cli:heal",
    "availability": "halab.chaos.cli:availability",
    "dashboard": "halab.dashboard.cli:dashboard",
    "swarm": "halab.swarm.cli:swarm",
}


class _Missing(click.Command):
    """A command whose module needs a dependency this installation lacks: says which, and how."""

    def __init__(self, name: str, error: ImportError) -> None:
        missing = error.name or str(error)
        super().__init__(name, help=f"(needs {missing}: pip install 'halab[tools]')",
                         context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
                         callback=self._fail)
        self._missing = missing

    def _fail(self) -> None:
        raise _needs_tools(self.name or "", ImportError(name=self._missing))


def _needs_tools(name: str, error: ImportError) -> click.ClickException:
    return click.ClickException(f"`halab {name}` needs {error.name or error}, which this installation lacks: "
                                "pip install 'halab[tools]' (the lab's tools container has it)")


class LazyGroup(click.Group):
    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except ImportError as e:  # a command that imports what it needs when it runs
            raise _needs_tools(ctx.invoked_subcommand or "", e) from None

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module, attribute = COMMANDS[name].split(":")
        try:
            return getattr(importlib.import_module(module), attribute)
        except ImportError as e:
            return _Missing(name, e)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(halab.__version__, "--version", "-V", prog_name="halab")
def main() -> None:
    """halab: a local high-availability lab. See `make help` for the lab's lifecycle."""
