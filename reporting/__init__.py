"""wenzheng's reports for people: the run report (plots and tables), the leaders' views and the printable
quarterly report, built from a run folder's files.

Imports go one way: ``wenzheng`` (the CLI) → ``reporting`` → ``simulator`` → ``engine``.  Nothing in the
simulator or the engine imports this package.
"""

from engine.native import install as _install_native

# this package's compiled module (reporting.leaderdata) is loaded only while it matches its source
_install_native()

