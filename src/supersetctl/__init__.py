"""supersetctl: run Apache Superset as governed, reproducible BI on top of an Odoo ERP.

The library never prints and never imports the CLI stack (typer, rich): every capability
package returns data and raises the typed errors of :mod:`supersetctl.errors`.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
