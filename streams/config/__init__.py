"""streams/config"""
