"""Burgerkracht Live: runs the neighbourhood-wide evening of the Burgerkrachtgenerator.

Nothing is imported here on purpose: ``python -m live`` must monkey-patch eventlet before Flask
or anything that touches sockets and threads is imported.
"""
