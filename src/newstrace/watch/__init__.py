"""`newstrace watch`: follow channels, feeds and pages on a schedule, trace what they bring, and
raise alerts; its state lives in the store, so a restarted daemon resumes where it stopped."""
