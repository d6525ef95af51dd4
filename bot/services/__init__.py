"""What the faces share besides answering: curating the library, feedback, eval runs, and Redis notices."""
