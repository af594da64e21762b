"""The sequencer's HTTP API (FastAPI): `create_app(settings, services)`; see `main`."""
from .config import Settings
from .main import create_app
from .services import Services

__all__ = ["create_app", "Settings", "Services"]
