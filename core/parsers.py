"""Request parsers: JSON bodies nested within reason, multipart uploads whose file names carry no path."""

import html

from django.http.multipartparser import MultiPartParser as DjangoMultiPartParser
from django.http.multipartparser import MultiPartParserError
from rest_framework import exceptions, parsers


class _PathRecordingParser(DjangoMultiPartParser):
    """Django's parser, noting each file name that tried to carry a directory.

    Django already drops the directory part, so nothing could be written
    outside the upload folder anyway; a name like "../../etc/x.pdf" is still
    refused, because no browser sends one and such a client is probing.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.names_with_paths = set()

    def sanitize_file_name(self, file_name):
        clean = super().sanitize_file_name(file_name)
        raw = html.unescape(file_name)
        if clean is None or "/" in raw or "\\" in raw:
            self.names_with_paths.add(clean)
        return clean


class MultiPartParser(parsers.MultiPartParser):
    """DRF's multipart parser (same steps), refusing a file name with a path in it: a 400
    naming the form field, and the uploaded data is discarded."""

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        request = parser_context["request"]
        meta = request.META.copy()
        meta["CONTENT_TYPE"] = media_type
        parser = _PathRecordingParser(meta, stream, request.upload_handlers, parsers.get_encoding(parser_context))
        try:
            data, files = parser.parse()
        except MultiPartParserError as exc:
            raise exceptions.ParseError(f"Multipart form parse error - {exc}") from None
        if parser.names_with_paths:
            for upload in files.values():
                upload.close()
            # A name that was nothing but a path ("../") left no file to name the field by.
            fields = sorted(name for name, upload in files.items() if upload.name in parser.names_with_paths)
            fields = fields or ["file_name"]
            raise exceptions.ValidationError({name: ["A file name must not contain a path."] for name in fields})
        return parsers.DataAndFiles(data, files)


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser; a body nested too deeply for Python's parser is a 400 naming the
    body, not a RecursionError (a 500). No field of the API nests more than three levels."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise BodyError("The JSON body is nested too deeply.") from None


class BodyError(exceptions.ParseError):
    """A body that cannot be read: a 400 whose `errors` name `body`."""

    def __init__(self, message: str):
        super().__init__({"detail": f"body: {message}", "errors": {"body": [message]}})
