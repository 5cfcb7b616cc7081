"""The web server around the app: serving, health, security headers, outage answers."""
