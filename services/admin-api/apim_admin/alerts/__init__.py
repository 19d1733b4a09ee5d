"""Admin alert subscriptions: which alert types an administrator follows, and bot-detection emails."""
