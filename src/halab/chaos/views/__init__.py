"""Views of a game day: the table, the HTML report, JUnit, the live terminal view, guided mode."""
