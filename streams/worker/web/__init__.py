"""streams/worker/web"""
