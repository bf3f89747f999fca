"""The web interface: pages under ``/{lang}/``, their templates, static files and catalogues."""
