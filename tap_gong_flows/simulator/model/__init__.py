"""The simulated Gong account: its users, flows, folders, steps, tasks and prospects."""
