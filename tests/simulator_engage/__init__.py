"""The simulator's users, flows, folders, steps and tasks: its data and its endpoints."""
