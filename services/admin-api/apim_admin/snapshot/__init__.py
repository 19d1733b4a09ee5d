"""Everything a starting gateway needs from admin, for every tenant."""
