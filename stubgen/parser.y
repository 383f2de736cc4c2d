/* SPDX-License-Identifier: MIT */
/*
 * The IDL grammar (docs/idl.md). Types are parsed generically as NAME or
 * NAME<args> and resolved by sema, so built-in and declared types share one
 * syntax. Error recovery: a bad method, struct member, import, constant or
 * typedef skips to its ';', a bad interface, struct or enum to its '}'.
 */
%define api.pure full
%define api.prefix {idl_yy}
%define api.location.type {struct idl_loc}
%define parse.error verbose
%locations
%param {void *scanner}
%parse-param {struct idl_parse_ctx *ctx}

%code requires {
#include <stdint.h>

#include "ast.h"

struct idl_parse_ctx;

struct idl_targ_list {
	struct idl_type_arg *head, *tail;
};

struct idl_param_list {
	struct idl_param *head, *tail;
	uint32_t n;
};

struct idl_method_list {
	struct idl_method *head, *tail;
	uint32_t n;
};

struct idl_member_list {
	struct idl_member *head, *tail;
};

struct idl_enumerator_list {
	struct idl_enumerator *head, *tail;
};

#define IDL_RHSLOC(rhs, k) ((rhs)[k])

/* Like bison's default, and the doc comment of a rule is the one before
 * its first token. */
#define YYLLOC_DEFAULT(cur, rhs, n)                                            \
	do {                                                                   \
		if (n) {                                                       \
			(cur).first_line = IDL_RHSLOC(rhs, 1).first_line;    \
			(cur).first_column = IDL_RHSLOC(rhs, 1).first_column; \
			(cur).last_line = IDL_RHSLOC(rhs, n).last_line;      \
			(cur).last_column = IDL_RHSLOC(rhs, n).last_column;  \
			(cur).doc = IDL_RHSLOC(rhs, 1).doc;                  \
			(cur).path = IDL_RHSLOC(rhs, 1).path;                \
		} else {                                                       \
			(cur).first_line = (cur).last_line =                   \
				IDL_RHSLOC(rhs, 0).last_line;                \
			(cur).first_column = (cur).last_column =               \
				IDL_RHSLOC(rhs, 0).last_column;              \
			(cur).doc = NULL;                                      \
			(cur).path = IDL_RHSLOC(rhs, 0).path;                \
		}                                                              \
	} while (0)
}

%code {
#include <string.h>

#include "parse.h"

typedef void *yyscan_t;
int idl_yylex(IDL_YYSTYPE *lval, IDL_YYLTYPE *lloc, yyscan_t scanner);
int idl_yylex_init_extra(struct idl_parse_ctx *extra, yyscan_t *scanner);
int idl_yylex_destroy(yyscan_t scanner);
struct yy_buffer_state *idl_yy_scan_bytes(const char *bytes, int len,
					  yyscan_t scanner);

static void idl_yyerror(IDL_YYLTYPE *loc, void *scanner,
			struct idl_parse_ctx *ctx, const char *msg);

#define NEW(ctx, type) ((type *)idl_arena_alloc((ctx)->file->arena, sizeof(type)))

static struct idl_method *new_method(struct idl_parse_ctx *ctx, bool oneway,
				     const char *doc, struct idl_type *ret,
				     const char *name, const struct idl_loc *loc,
				     const struct idl_param_list *params,
				     const struct idl_type_arg *id);
static void add_decl(struct idl_parse_ctx *ctx, struct idl_decl *d);
}

%union {
	const char *str;
	uint64_t num;
	enum idl_dir dir;
	struct idl_type *type;
	struct idl_type_arg *targ;
	struct idl_targ_list targs;
	struct idl_param *param;
	struct idl_param_list params;
	struct idl_method *method;
	struct idl_method_list methods;
	struct idl_iface *iface;
	double fnum;
	struct idl_expr expr;
	struct idl_member *member;
	struct idl_member_list members;
	struct idl_enumerator *enumerator;
	struct idl_enumerator_list enumerators;
	struct idl_decl *decl;
}

%token INTERFACE "interface"
%token VERSION "version"
%token IN "in"
%token OUT "out"
%token INOUT "inout"
%token RETURN "return"
%token ONEWAY "oneway"
%token IMPORT "import"
%token CONST "const"
%token ENUM "enum"
%token STRUCT "struct"
%token TYPEDEF "typedef"
%token TRUE "true"
%token FALSE "false"
%token <str> IDENT "identifier"
%token <str> STRING "string literal"
%token <num> NUMBER "number"
%token <fnum> FLOAT "floating-point number"

%type <iface> interface
%type <methods> methods
%type <method> method
%type <params> params param_list
%type <param> param
%type <dir> direction
%type <type> type
%type <targs> type_args
%type <targ> type_arg dim_opt dim method_id
%type <expr> expr
%type <members> members
%type <member> member
%type <enumerators> enumerators enum_body
%type <enumerator> enumerator
%type <decl> decl

%%

file
	: %empty
	| file import
	| file decl
		{ add_decl(ctx, $2); }
	| file interface
		{
			*ctx->iface_tail = $2;
			ctx->iface_tail = &$2->next;
		}
	| file error '}'
		{ yyerrok; }
	;

import
	: IMPORT STRING ';'
		{
			struct idl_import *imp = NEW(ctx, struct idl_import);

			imp->spelling = $2;
			imp->loc = @2;
			*ctx->import_tail = imp;
			ctx->import_tail = &imp->next;
		}
	| IMPORT error ';'
		{ yyerrok; }
	;

/* A '}' may be followed by a ';', as in C; it need not. */
semi_opt
	: %empty
	| ';'
	;

decl
	: CONST type IDENT '=' expr ';'
		{
			$$ = NEW(ctx, struct idl_decl);
			$$->kind = IDL_DECL_CONST;
			$$->doc = @1.doc;
			$$->type = *$2;
			$$->name = $3;
			$$->loc = @3;
			$$->expr = $5;
		}
	| CONST error ';'
		{ $$ = NULL; yyerrok; }
	| TYPEDEF type IDENT dim_opt ';'
		{
			$$ = NEW(ctx, struct idl_decl);
			$$->kind = IDL_DECL_TYPEDEF;
			$$->doc = @1.doc;
			$$->type = *$2;
			$$->name = $3;
			$$->loc = @3;
			$$->dim = $4;
		}
	| TYPEDEF error ';'
		{ $$ = NULL; yyerrok; }
	| ENUM IDENT '{' enum_body '}' semi_opt
		{
			$$ = NEW(ctx, struct idl_decl);
			$$->kind = IDL_DECL_ENUM;
			$$->doc = @1.doc;
			$$->name = $2;
			$$->loc = @2;
			$$->enumerators = $4.head;
		}
	| STRUCT IDENT '{' members members_end semi_opt
		{
			$$ = NEW(ctx, struct idl_decl);
			$$->kind = IDL_DECL_STRUCT;
			$$->doc = @1.doc;
			$$->name = $2;
			$$->loc = @2;
			$$->members = $4.head;
		}
	;

enum_body
	: %empty
		{ $$.head = $$.tail = NULL; }
	| enumerators
	| enumerators ','
	;

enumerators
	: enumerator
		{ $$.head = $$.tail = $1; }
	| enumerators ',' enumerator
		{
			$$ = $1;
			$$.tail->next = $3;
			$$.tail = $3;
		}
	;

enumerator
	: IDENT
		{
			$$ = NEW(ctx, struct idl_enumerator);
			$$->name = $1;
			$$->loc = @1;
			$$->doc = @1.doc;
		}
	| IDENT '=' expr
		{
			$$ = NEW(ctx, struct idl_enumerator);
			$$->name = $1;
			$$->loc = @1;
			$$->doc = @1.doc;
			$$->has_value = true;
			$$->expr = $3;
		}
	;

members
	: %empty
		{ $$.head = $$.tail = NULL; }
	| members member
		{
			$$ = $1;
			if ($$.tail)
				$$.tail->next = $2;
			else
				$$.head = $2;
			$$.tail = $2;
		}
	| members error ';'
		{
			$$ = $1;
			yyerrok;
		}
	;

member
	: type IDENT dim_opt ';'
		{
			$$ = NEW(ctx, struct idl_member);
			$$->doc = @1.doc;
			$$->type = *$1;
			$$->name = $2;
			$$->loc = @2;
			$$->dim = $3;
		}
	;

/* Like methods_end below. */
members_end
	: '}'
	| error '}'
		{ yyerrok; }
	;

expr
	: NUMBER
		{ memset(&$$, 0, sizeof($$)); $$.kind = IDL_EXPR_NUMBER; $$.number = $1; $$.loc = @1; }
	| '-' NUMBER
		{
			memset(&$$, 0, sizeof($$));
			$$.kind = IDL_EXPR_NUMBER;
			$$.negative = true;
			$$.number = $2;
			$$.loc = @1;
		}
	| FLOAT
		{ memset(&$$, 0, sizeof($$)); $$.kind = IDL_EXPR_FLOAT; $$.fnumber = $1; $$.loc = @1; }
	| '-' FLOAT
		{
			memset(&$$, 0, sizeof($$));
			$$.kind = IDL_EXPR_FLOAT;
			$$.fnumber = -$2;
			$$.loc = @1;
		}
	| TRUE
		{ memset(&$$, 0, sizeof($$)); $$.kind = IDL_EXPR_BOOL; $$.boolean = true; $$.loc = @1; }
	| FALSE
		{ memset(&$$, 0, sizeof($$)); $$.kind = IDL_EXPR_BOOL; $$.loc = @1; }
	| IDENT
		{ memset(&$$, 0, sizeof($$)); $$.kind = IDL_EXPR_NAME; $$.name = $1; $$.loc = @1; }
	| '-' IDENT
		{
			memset(&$$, 0, sizeof($$));
			$$.kind = IDL_EXPR_NAME;
			$$.negative = true;
			$$.name = $2;
			$$.loc = @1;
		}
	;

interface
	: INTERFACE IDENT VERSION NUMBER '{' methods methods_end semi_opt
		{
			$$ = NEW(ctx, struct idl_iface);
			$$->name = $2;
			$$->loc = @2;
			$$->doc = @1.doc;
			$$->version = $4;
			$$->version_loc = @4;
			$$->methods = $6.head;
			$$->n_methods = $6.n;
		}
	;

methods
	: %empty
		{ $$.head = $$.tail = NULL; $$.n = 0; }
	| methods method
		{
			$$ = $1;
			$$.n++;
			if ($$.tail)
				$$.tail->next = $2;
			else
				$$.head = $2;
			$$.tail = $2;
		}
	| methods error ';'
		{
			$$ = $1;
			yyerrok; /* report the next error, however close */
		}
	;

/* An error just before the closing brace must not swallow tokens up to a ';'
 * inside the next interface, whose own errors would then go unreported. */
methods_end
	: '}'
	| error '}'
		{ yyerrok; }
	;

method
	: type IDENT '(' params ')' method_id ';'
		{ $$ = new_method(ctx, false, @1.doc, $1, $2, &@2, &$4, $6); }
	| ONEWAY type IDENT '(' params ')' method_id ';'
		{ $$ = new_method(ctx, true, @1.doc, $2, $3, &@3, &$5, $7); }
	;

method_id
	: %empty
		{ $$ = NULL; }
	| '=' NUMBER
		{
			$$ = NEW(ctx, struct idl_type_arg);
			$$->kind = IDL_TARG_NUMBER;
			$$->number = $2;
			$$->loc = @2;
		}
	;

params
	: %empty
		{ $$.head = $$.tail = NULL; $$.n = 0; }
	| param_list
	;

param_list
	: param
		{ $$.head = $$.tail = $1; $$.n = 1; }
	| param_list ',' param
		{
			$$ = $1;
			$3->index = $$.n++;
			$$.tail->next = $3;
			$$.tail = $3;
		}
	;

param
	: direction type IDENT dim_opt
		{
			$$ = NEW(ctx, struct idl_param);
			$$->dir = $1;
			$$->type = *$2;
			$$->name = $3;
			$$->loc = @3;
			$$->dim = $4;
		}
	;

direction
	: %empty	{ $$ = IDL_DIR_IN; }
	| IN		{ $$ = IDL_DIR_IN; }
	| OUT		{ $$ = IDL_DIR_OUT; }
	| INOUT		{ $$ = IDL_DIR_INOUT; }
	;

dim_opt
	: %empty
		{ $$ = NULL; }
	| '[' dim ']'
		{ $$ = $2; }
	;

dim
	: NUMBER
		{
			$$ = NEW(ctx, struct idl_type_arg);
			$$->kind = IDL_TARG_NUMBER;
			$$->number = $1;
			$$->loc = @1;
		}
	| IDENT
		{
			$$ = NEW(ctx, struct idl_type_arg);
			$$->kind = IDL_TARG_NAME;
			$$->name = $1;
			$$->loc = @1;
		}
	;

type
	: IDENT
		{
			$$ = NEW(ctx, struct idl_type);
			$$->name = $1;
			$$->loc = @1;
		}
	| IDENT '<' type_args '>'
		{
			$$ = NEW(ctx, struct idl_type);
			$$->name = $1;
			$$->loc = @1;
			$$->has_args = true;
			$$->args = $3.head;
		}
	;

type_args
	: type_arg
		{ $$.head = $$.tail = $1; }
	| type_args ',' type_arg
		{
			$$ = $1;
			$$.tail->next = $3;
			$$.tail = $3;
		}
	;

type_arg
	: NUMBER
		{
			$$ = NEW(ctx, struct idl_type_arg);
			$$->kind = IDL_TARG_NUMBER;
			$$->number = $1;
			$$->loc = @1;
		}
	| IDENT
		{
			$$ = NEW(ctx, struct idl_type_arg);
			$$->kind = IDL_TARG_NAME;
			$$->name = $1;
			$$->loc = @1;
		}
	| RETURN
		{
			$$ = NEW(ctx, struct idl_type_arg);
			$$->kind = IDL_TARG_RETURN;
			$$->loc = @1;
		}
	;

%%

static void idl_yyerror(IDL_YYLTYPE *loc, void *scanner,
			struct idl_parse_ctx *ctx, const char *msg)
{
	(void)scanner;
	/* After an unterminated comment the parser only sees an early end. */
	if (!ctx->lexer_stopped)
		idl_error(ctx->diag, loc, "%s", msg);
}

static struct idl_method *new_method(struct idl_parse_ctx *ctx, bool oneway,
				     const char *doc, struct idl_type *ret,
				     const char *name, const struct idl_loc *loc,
				     const struct idl_param_list *params,
				     const struct idl_type_arg *id)
{
	struct idl_method *m = NEW(ctx, struct idl_method);

	m->oneway = oneway;
	m->doc = doc;
	m->ret = *ret;
	m->name = name;
	m->loc = *loc;
	m->params = params->head;
	m->n_params = params->n;
	if (id) {
		m->has_id = true;
		m->written_id = id->number;
		m->id_loc = id->loc;
	}
	return m;
}

static void add_decl(struct idl_parse_ctx *ctx, struct idl_decl *d)
{
	if (!d)
		return; /* a syntax error, reported */
	d->file = ctx->file;
	d->index = ctx->file->n_decls++;
	*ctx->decl_tail = d;
	ctx->decl_tail = &d->next;
}

int idl_parse(struct idl_file *file, const char *src, size_t len,
	      struct idl_diag *diag)
{
	struct idl_parse_ctx ctx = {
		.file = file,
		.diag = diag,
		.iface_tail = &file->ifaces,
		.decl_tail = &file->decls,
		.import_tail = &file->imports,
		.line = 1,
		.column = 1,
	};
	unsigned int errors_before = idl_diag_errors(diag);
	yyscan_t scanner;
	int rc;

	if (len > INT32_MAX) {
		idl_error(diag, NULL, "file too large");
		return -1;
	}
	if (idl_yylex_init_extra(&ctx, &scanner) != 0) {
		idl_error(diag, NULL, "cannot initialise the scanner");
		return -1;
	}
	idl_yy_scan_bytes(src, (int)len, scanner);
	rc = idl_yyparse(scanner, &ctx);
	idl_yylex_destroy(scanner);
	if (rc == 2)
		idl_error(diag, NULL, "out of memory while parsing");
	if (rc != 0 || idl_diag_errors(diag) != errors_before)
		return -1;
	return 0;
}
