"""The supervisor's dashboard: scorecards as charts and tables, and the cases behind them."""
