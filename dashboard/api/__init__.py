"""The HTTP APIs: terminal positions and incidents, SMS webhooks, Open311, the OpenAPI
document, exports.
"""
