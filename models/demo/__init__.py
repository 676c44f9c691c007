"""The demo province: data only the demo uses."""
