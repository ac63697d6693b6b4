"""The Streamlit page, drawn by app.py."""
