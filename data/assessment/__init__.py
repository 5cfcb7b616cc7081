"""Assessment (考核): the scheme as data, daily facts, periods and scoring (issue 11).

``scheme`` reads the rules, ``periods`` names the dates, ``facts`` keeps the daily raw
counts of every grid up to date, ``scoring`` turns facts into scores, ranks and cards.
docs/assessment.md explains every indicator.
"""
