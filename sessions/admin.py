"""Nothing of the sessions app is in the operators' admin, on purpose.

Sessions, notes, self-reflections, feedback, plans, reports and concerns are what
participants write for each other or for themselves; operators run the installation and
have no part in them. A Session admin without the shared notes would still list who met
whom and when across every tenant, which no operator task needs (support questions go
through the organisation's coordinators, who see activity on their own pages). Like
`programs` and `agreements`, this app registers no model.
"""
