"""Portal-wide settings: grant types, application attributes, recommendations, SDK languages."""
