"""attrs models for API objects, and the one converter that (un)structures them."""
