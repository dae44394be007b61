"""Adapters: each turns one source of network facts into the typed network state (state/).
cloudformation/ reads a template through its scenario's resolver."""
