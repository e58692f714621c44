"""What each Gong endpoint checks in a request and answers."""
