"""streams/localbroker"""
