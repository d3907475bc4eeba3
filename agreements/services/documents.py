"""The signed agreement's PDF: render, seal, store; and checking an uploaded PDF.

(Being written: see agreements issue. Until then issuing a PDF raises.)
"""


def agreement_pdf_issue(*, organization, agreement_id):
    raise NotImplementedError("agreement PDF rendering is not written yet")
