"""The jieba + scikit-learn classifier, FAQ retrieval and the sensitive-matter detector."""
