
˜
(example/library/v1/library_service.protoexample.library.v1example/library/v1/book.proto"$
GetBookRequest
name (	Rname"
ListBooksRequest/
genre (2.example.library.v1.GenreRgenre
	page_size (RpageSize

page_token (	R	pageToken"'
ReturnBookRequest
name (	Rname"1
ReturnBooksResponse
returned (Rreturned2‰
LibraryServiceG
GetBook".example.library.v1.GetBookRequest.example.library.v1.BookM
	ListBooks$.example.library.v1.ListBooksRequest.example.library.v1.Book0_
ReturnBooks%.example.library.v1.ReturnBookRequest'.example.library.v1.ReturnBooksResponse(B"Z example.com/library/v1;libraryv1bproto3