"""The arena: blind A/B votes between two models' results on one photo, kept in a database
(store), paired so that rankings converge fast (pairs), ranked by Bradley-Terry with
bootstrap intervals (ranking), and exchanged with the public arenas' files (interchange).

Streamlit-free: the Arena page (ui/pages/arena.py) and `portrait-blur arena` use it alike.
"""
