"""The demo province: data only the demo uses."""

from pathlib import Path

# Điện Biên's province file (rules, targets, parameters), composed with the national rules.
PROVINCE_FILE = Path(__file__).resolve().parent / "data" / "province_dien_bien.yaml"
