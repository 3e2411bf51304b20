"""mio: create FastAPI services from a Copier template and keep them current."""

__version__ = "0.5.1"
