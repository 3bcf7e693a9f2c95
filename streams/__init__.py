"""The streaming side of form4-stream: Faust app, topics, tables, agents and the ``form4`` CLI.

Importing this package has no side effects; the Faust app is built in :mod:`streams.worker.app`.
"""
