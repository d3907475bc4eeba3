"""Survey views: `builder` for the program team, `answer` for participants."""
