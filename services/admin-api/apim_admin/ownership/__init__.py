"""Admin's view of APIs and applications, and changing their owners; the publisher and devportal own them."""
