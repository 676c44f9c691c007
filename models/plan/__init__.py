"""The HR year's plan: who will owe what (demand), and the seats each unit may fill on a
course (quotas). Nominations ("cử đi học") fill those seats; see models/courses."""
