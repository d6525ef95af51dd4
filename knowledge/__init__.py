"""What stackpick knows: the article library, the shared scoring rules and the claims drawn from them."""
