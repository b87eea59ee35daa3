"""opco-watch: watch OPCO calls for tenders for a French training organisation."""

__version__ = "0.1.0"
