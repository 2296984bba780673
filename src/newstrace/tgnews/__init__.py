"""The Telegram Data Clustering Contest (2020) interface: its CLI answers for a folder of pages
and its HTTP server with a persistent index, so that tools written for the contest run on newstrace."""
