"""Label packs: selecting gold labels, writing and signing packs, verifying them.

Nothing here is imported by the package itself: 'labeler pack verify' must not load the store."""
