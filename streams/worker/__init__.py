"""streams/worker"""
