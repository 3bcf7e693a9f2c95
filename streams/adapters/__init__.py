"""streams/adapters"""
