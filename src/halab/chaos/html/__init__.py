"""The game-day report as one self-contained HTML file, rendered from a run's journal alone.
The charting library is fetched once at build time: `python -m halab.chaos.html.vendor`."""
