"""The marketplace assistant: which visible APIs answer a question, found by hybrid retrieval."""
