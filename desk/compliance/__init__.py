"""What the law and carriers expect: consent (STOP/START/HELP), privacy, erasure, retention."""
