"""streams/domain"""
