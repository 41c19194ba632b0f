"""wenzheng (问政): the command-line tools around the engine and the simulator."""

__version__ = "0.1.0"
__all__ = ["__version__"]
