"""Page layouts: functions returning Dash components; ids live in ids.py."""
