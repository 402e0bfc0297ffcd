from rest_framework.pagination import PageNumberPagination


class Pagination(PageNumberPagination):
    """``?page=N`` and ``?page_size=N`` (up to 200); the default size is ``PAGE_SIZE``."""

    page_size_query_param = "page_size"
    max_page_size = 200
