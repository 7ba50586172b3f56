"""supersetctl: run Apache Superset as governed, reproducible BI on top of an Odoo ERP.

The library never prints and never imports the CLI stack (typer, rich): every capability
package returns data and raises the typed errors of :mod:`supersetctl.errors`.
"""

import sys

__version__ = "0.1.0"

# httpx's __init__ imports its own command line (click, rich, pygments: ~80 ms, a tenth of a
# no-change `apply`) whenever those are installed, as typer makes them. supersetctl never runs
# it, and httpx falls back to a stub when that import fails, which a None entry makes it do.
if "httpx" not in sys.modules:
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]

__all__ = ["__version__"]
