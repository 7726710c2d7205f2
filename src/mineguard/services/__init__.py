"""Platform services: storage, digital twin, IoT, API."""
