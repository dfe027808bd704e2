"""servegate's CrossGuard policy pack; the logic lives in servegate.crossguard."""

import sys
from pathlib import Path

from components.config import ConfigError
from servegate.crossguard import serve_pack
from servegate.errors import GateError

try:
    serve_pack(Path(__file__).resolve().parent)
except (GateError, ConfigError) as exc:
    sys.exit(f"servegate policy pack: {exc}")
